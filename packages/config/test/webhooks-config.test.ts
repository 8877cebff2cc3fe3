import { loadApiConfig, loadWorkerConfig } from '../src';

/** The webhooks' variables (docs/api.md, "Webhooks"): their defaults, and a bad value named. */
describe('WEBHOOK_* variables', () => {
  it('default to the documented schedule, deadline and refusal of private addresses', () => {
    const config = loadWorkerConfig({});
    expect(config.WEBHOOK_SECRET).toBeUndefined();
    expect(config.WEBHOOK_RETRY_SCHEDULE_S).toEqual([5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
    expect(config.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    expect(config.WEBHOOK_ALLOW_PRIVATE).toBe(false);
    expect(loadApiConfig({}).WEBHOOK_RETRY_SCHEDULE_S).toHaveLength(9);
  });

  it('reads a schedule, a secret and the private-address switch', () => {
    const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    const config = loadWorkerConfig({ WEBHOOK_RETRY_SCHEDULE_S: '1, 2.5,60', WEBHOOK_SECRET: secret, WEBHOOK_ALLOW_PRIVATE: 'true' });
    expect(config.WEBHOOK_RETRY_SCHEDULE_S).toEqual([1, 2.5, 60]);
    expect(config.WEBHOOK_SECRET).toBe(secret);
    expect(config.WEBHOOK_ALLOW_PRIVATE).toBe(true);
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => loadWorkerConfig({ WEBHOOK_RETRY_SCHEDULE_S: '5,soon' })).toThrow(
      /WEBHOOK_RETRY_SCHEDULE_S: expected comma-separated seconds/,
    );
    expect(() => loadApiConfig({ WEBHOOK_SECRET: 'not-a-secret' })).toThrow(/WEBHOOK_SECRET: expected whsec_/);
    expect(() => loadApiConfig({ WEBHOOK_SECRET: `whsec_${Buffer.alloc(16).toString('base64')}` })).toThrow(/WEBHOOK_SECRET/);
    expect(() => loadWorkerConfig({ WEBHOOK_ALLOW_PRIVATE: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });
});
