import 'reflect-metadata';
import { Controller, Get, Post, HttpCode, SetMetadata, UseGuards, type CanActivate } from '@nestjs/common';
import { GUARDS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { Cacheable, Invalidate, WriteThrough, configureCache, MemoryStore } from '../../src/index.js';

// Legacy decorators only (NestJS's decorators take (target, key, descriptor)); the legacy Jest
// project runs this file, the standard one ignores `*.legacy.test.ts`.

class AuthGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('users')
class UsersController {
  calls = 0;

  /** Nest's decorators below ours: applied first, they record on the original method. */
  @Cacheable({ ttl: '1m' })
  @Get(':id')
  @UseGuards(AuthGuard)
  @SetMetadata('roles', ['admin'])
  async find(id: string): Promise<string> {
    this.calls++;
    return `user ${id}`;
  }

  /** Nest's decorators above ours: they record on the wrapper. */
  @Post(':id')
  @HttpCode(204)
  @UseGuards(AuthGuard)
  @WriteThrough({ key: (id: string) => id })
  async save(id: string, name: string): Promise<string> {
    return `${id}=${name}`;
  }

  /** Mixed order. */
  @Get('search')
  @Cacheable()
  @SetMetadata('roles', ['reader'])
  @Invalidate({ allEntries: true, namespace: 'other' })
  @HttpCode(200)
  async search(q: string): Promise<string> {
    this.calls++;
    return q;
  }
}

describe('NestJS metadata survives cachekit decorators, in either order (legacy mode)', () => {
  beforeEach(() => configureCache({ store: new MemoryStore() }));

  it('keeps route, guard and custom metadata recorded below our decorator', () => {
    const handler = UsersController.prototype.find;
    expect(Reflect.getMetadata(PATH_METADATA, handler)).toBe(':id');
    expect(Reflect.getMetadata(METHOD_METADATA, handler)).toBe(0); // RequestMethod.GET
    expect(Reflect.getMetadata(GUARDS_METADATA, handler)).toEqual([AuthGuard]);
    const reflector = new Reflector();
    expect(reflector.get('roles', handler)).toEqual(['admin']);
    expect(reflector.getAllAndOverride('roles', [handler, UsersController])).toEqual(['admin']);
  });

  it('keeps metadata recorded above our decorator and in mixed order', () => {
    const save = UsersController.prototype.save;
    expect(Reflect.getMetadata(PATH_METADATA, save)).toBe(':id');
    expect(Reflect.getMetadata(METHOD_METADATA, save)).toBe(1); // RequestMethod.POST
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, save)).toBe(204);
    expect(Reflect.getMetadata(GUARDS_METADATA, save)).toEqual([AuthGuard]);
    const search = UsersController.prototype.search;
    expect(Reflect.getMetadata(PATH_METADATA, search)).toBe('search');
    expect(Reflect.getMetadata(HTTP_CODE_METADATA, search)).toBe(200);
    expect(new Reflector().get('roles', search)).toEqual(['reader']);
  });

  it('keeps design:* metadata of the method', () => {
    expect(Reflect.getMetadata('design:paramtypes', UsersController.prototype, 'find')).toEqual([String]);
    expect(Reflect.getMetadata('design:returntype', UsersController.prototype, 'find')).toBe(Promise);
    expect(Reflect.getMetadata('design:paramtypes', UsersController.prototype, 'save')).toEqual([String, String]);
    expect(Reflect.getMetadata('design:type', UsersController.prototype, 'search')).toBe(Function);
  });

  it('still caches the decorated handlers', async () => {
    const c = new UsersController();
    expect([await c.find('1'), await c.find('1'), await c.search('q'), await c.search('q')]).toEqual(['user 1', 'user 1', 'q', 'q']);
    expect(c.calls).toBe(2);
  });
});
