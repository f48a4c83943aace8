// The service the testing examples test: one cached read.
import { Cacheable } from 'cachekit';

export class ProductService {
  loads = 0;

  @Cacheable({ namespace: 'product', key: (id: number) => String(id), ttl: '5m' })
  async getProduct(id: number): Promise<{ id: number; name: string }> {
    this.loads++;
    return { id, name: `product ${id}` };
  }
}
