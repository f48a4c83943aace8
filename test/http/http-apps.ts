/**
 * The same small application on Express and on Fastify, behind cachekit/http, listening on
 * 127.0.0.1 (port 0), so the tests can speak real HTTP to either.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { PassThrough } from 'node:stream';
import express from 'express';
import Fastify from 'fastify';
import { cacheMiddleware, cachePlugin, type HttpCacheOptions } from 'cachekit/http';
import { Gate } from '../helpers/gate.js';

/** What the routes do, and how often they ran. */
export class Backend {
  calls = new Map<string, number>();
  failing = false;
  gate: Gate | undefined;
  /** resolved when a gated handler has started */
  started: Promise<void> = Promise.resolve();
  private markStarted: () => void = () => undefined;

  holdNext(): Gate {
    this.gate = new Gate();
    this.started = new Promise((resolve) => (this.markStarted = resolve));
    return this.gate;
  }
  count(route: string): number {
    const n = (this.calls.get(route) ?? 0) + 1;
    this.calls.set(route, n);
    return n;
  }
  async gated(): Promise<void> {
    this.markStarted();
    await this.gate?.opened;
  }
}

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

const user = (req: { headers: Record<string, unknown> }) => (req.headers['x-user'] === undefined ? undefined : String(req.headers['x-user']));

/** The Express app. */
export async function expressApp(backend: Backend, options: HttpCacheOptions = {}): Promise<RunningApp> {
  const app = express();
  app.use(cacheMiddleware({ vary: user, ...options }));
  app.get('/items', (req, res) => {
    const n = backend.count('items');
    res.set('x-internal', 'secret').json({ n, query: req.query });
  });
  app.get('/me', (req, res) => res.json({ n: backend.count('me'), user: req.headers['x-user'] ?? null }));
  app.post('/items', (_req, res) => res.status(201).json({ n: backend.count('post') }));
  app.get('/missing', (_req, res) => res.status(404).json({ n: backend.count('missing') }));
  app.get('/no-store', (_req, res) => res.set('cache-control', 'no-store').json({ n: backend.count('no-store') }));
  app.get('/cookie', (_req, res) => res.cookie('session', `s${backend.count('cookie')}`).json({ n: backend.calls.get('cookie') }));
  app.get('/flaky', (_req, res) => {
    const n = backend.count('flaky');
    if (backend.failing) res.status(503).set('set-cookie', 'err=1').send('down');
    else res.json({ n });
  });
  app.get('/thrown', (_req, _res) => {
    const n = backend.count('thrown');
    if (backend.failing) throw new Error('boom');
    _res.json({ n });
  });
  app.get('/gated', async (_req, res) => {
    const n = backend.count('gated');
    await backend.gated();
    res.json({ n });
  });
  app.get('/big', (_req, res) => res.type('text/plain').send('x'.repeat(2048) + backend.count('big')));
  app.get('/stream', (_req, res) => {
    const n = backend.count('stream');
    res.type('text/plain');
    res.write('part1,');
    res.write(Buffer.from('part2,'));
    res.end(`n=${n}`);
  });
  app.get('/etag', (_req, res) => {
    backend.count('etag');
    res.set('etag', '"v1"').json({ v: 1 });
  });
  app.get('/events', (_req, res) => {
    backend.count('events');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    res.write('data: one\n\n'); // and the stream stays open
  });
  app.get('/events-unflushed', (_req, res) => {
    backend.count('events-unflushed');
    res.setHeader('content-type', 'text/event-stream');
    res.write('data: one\n\n');
  });
  return listen((onListen) => app.listen(0, '127.0.0.1', onListen));
}

/** The Fastify app: the same routes. */
export async function fastifyApp(backend: Backend, options: HttpCacheOptions = {}): Promise<RunningApp> {
  const app = Fastify();
  await app.register(cachePlugin, { vary: user, ...options });
  app.get('/items', async (req, reply) => {
    const n = backend.count('items');
    reply.header('x-internal', 'secret');
    return { n, query: req.query };
  });
  app.get('/me', async (req) => ({ n: backend.count('me'), user: req.headers['x-user'] ?? null }));
  app.post('/items', async (_req, reply) => reply.code(201).send({ n: backend.count('post') }));
  app.get('/missing', async (_req, reply) => reply.code(404).send({ n: backend.count('missing') }));
  app.get('/no-store', async (_req, reply) => reply.header('cache-control', 'no-store').send({ n: backend.count('no-store') }));
  app.get('/cookie', async (_req, reply) => reply.header('set-cookie', `session=s${backend.count('cookie')}; Path=/`).send({ n: backend.calls.get('cookie') }));
  app.get('/flaky', async (_req, reply) => {
    const n = backend.count('flaky');
    if (backend.failing) return reply.code(503).header('set-cookie', 'err=1').type('text/plain').send('down');
    return { n };
  });
  app.get('/thrown', async () => {
    const n = backend.count('thrown');
    if (backend.failing) throw new Error('boom');
    return { n };
  });
  app.get('/gated', async () => {
    const n = backend.count('gated');
    await backend.gated();
    return { n };
  });
  app.get('/big', async (_req, reply) => reply.type('text/plain').send('x'.repeat(2048) + backend.count('big')));
  app.get('/stream', async (_req, reply) => reply.type('text/plain').send(`part1,part2,n=${backend.count('stream')}`));
  app.get('/events', async (_req, reply) => {
    backend.count('events');
    const stream = new PassThrough();
    stream.write('data: one\n\n'); // and the stream stays open
    return reply.header('content-type', 'text/event-stream').send(stream);
  });
  app.get('/events-unflushed', async (_req, reply) => {
    backend.count('events-unflushed');
    const stream = new PassThrough();
    stream.write('data: one\n\n');
    return reply.header('content-type', 'text/event-stream').send(stream);
  });
  app.get('/etag', async (_req, reply) => {
    backend.count('etag');
    return reply.header('etag', '"v1"').send({ v: 1 });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** Starts a server and resolves once it listens. */
export function listen(start: (onListen: () => void) => Server): Promise<RunningApp> {
  return new Promise((resolve) => {
    const server = start(() => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
