import { chunkSizing, loadWorkerConfig } from '../src';

describe('chunkSizing (CHUNK_SIZE, CHUNK_SIZE_MIN, CHUNK_SIZE_MAX, CHUNK_TARGET_MS)', () => {
  it('is adaptive by default: 100 to 20,000 rows, 0.5 s of database time a chunk, starting at 1,000', () => {
    expect(chunkSizing(loadWorkerConfig({}))).toEqual({ initial: 1_000, min: 100, max: 20_000, targetMs: 500 });
  });

  it('starts within the bounds set', () => {
    expect(chunkSizing(loadWorkerConfig({ CHUNK_SIZE_MIN: '2000', CHUNK_SIZE_MAX: '5000', CHUNK_TARGET_MS: '250' }))).toEqual({
      initial: 2_000,
      min: 2_000,
      max: 5_000,
      targetMs: 250,
    });
  });

  it('is pinned by CHUNK_SIZE, whatever the bounds', () => {
    expect(chunkSizing(loadWorkerConfig({ CHUNK_SIZE: '3', CHUNK_SIZE_MIN: '100' }))).toMatchObject({ initial: 3, min: 3, max: 3 });
  });

  it('refuses a minimum over the maximum, naming it', () => {
    expect(() => chunkSizing(loadWorkerConfig({ CHUNK_SIZE_MIN: '5000', CHUNK_SIZE_MAX: '1000' }))).toThrow(/CHUNK_SIZE_MIN/);
  });
});
