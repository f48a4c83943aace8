import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, ParseIntPipe, Post, Put } from '@nestjs/common';
import { ProductsService } from './products.service.js';
import type { Product } from './shop-database.js';
import { ViewsService } from './views.service.js';

/** The HTTP API of the sample: products and their views. */
@Controller('products')
export class ProductsController {
  constructor(
    @Inject(ProductsService) private readonly products: ProductsService,
    @Inject(ViewsService) private readonly views: ViewsService,
  ) {}

  @Get(':id')
  async find(@Param('id', ParseIntPipe) id: number): Promise<Product> {
    const product = await this.products.find(id);
    if (product === null) throw new NotFoundException(`no product ${id}`);
    return product;
  }

  @Put(':id')
  async save(@Param('id', ParseIntPipe) id: number, @Body() body: { name: string; priceCents: number }): Promise<Product> {
    return this.products.save({ id, name: body.name, priceCents: body.priceCents });
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseIntPipe) id: number): Promise<void> {
    if (!(await this.products.remove(id))) throw new NotFoundException(`no product ${id}`);
  }

  @Post(':id/views')
  @HttpCode(202)
  async view(@Param('id', ParseIntPipe) id: number): Promise<void> {
    await this.views.add(id, 1);
  }

  @Get(':id/views')
  stored(@Param('id', ParseIntPipe) id: number): { productId: number; stored: number } {
    return { productId: id, stored: this.views.stored(id) };
  }
}
