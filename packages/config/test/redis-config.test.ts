import { hashTagged, loadBaseConfig, loadWorkerConfig, redisSettings } from '../src';

/** Where Redis is (docs/deploy.md, "Redis Cluster"): REDIS_URL, or REDIS_CLUSTER_NODES instead; QUEUE_PREFIX hash-tagged. */
describe('Redis variables', () => {
  it('default to the single Redis of REDIS_URL, under the {importer} prefix', () => {
    const config = loadBaseConfig({});
    expect(redisSettings(config)).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
    expect(config.QUEUE_PREFIX).toBe('{importer}');
  });

  it('take REDIS_CLUSTER_NODES, with its credentials, instead of REDIS_URL', () => {
    const config = loadWorkerConfig({
      REDIS_URL: 'redis://ignored:6379',
      REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002',
      REDIS_CLUSTER_PASSWORD: 'secret',
      REDIS_CLUSTER_TLS: 'true',
    });
    expect(redisSettings(config)).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: undefined,
      password: 'secret',
      tls: true,
    });
  });

  it('wrap QUEUE_PREFIX in a hash tag, unless it holds one', () => {
    expect(loadBaseConfig({ QUEUE_PREFIX: 'acme' }).QUEUE_PREFIX).toBe('{acme}');
    expect(loadBaseConfig({ QUEUE_PREFIX: '{acme}' }).QUEUE_PREFIX).toBe('{acme}');
    expect(hashTagged('acme{eu}')).toBe('acme{eu}');
    // `{}` is no tag (Redis hashes the whole key): wrapped.
    expect(hashTagged('a{}b')).toBe('{a{}b}');
  });

  it('refuse a node that is not host:port, naming the variable', () => {
    for (const nodes of ['10.0.0.1', '10.0.0.1:7000,', 'redis://10.0.0.1:7000', '10.0.0.1:70000']) {
      expect(() => loadBaseConfig({ REDIS_CLUSTER_NODES: nodes })).toThrow(/REDIS_CLUSTER_NODES: expected host:port/);
    }
  });
});
