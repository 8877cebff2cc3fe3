import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadApiConfig, loadWorkerConfig } from '../src';

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface ComposeService {
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  container_name?: string;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };

/** docker-compose.yml and the Dockerfile (docs/deploy.md, "Containers") kept in step with the code. */
describe('deployment files', () => {
  it('give the API and the worker settings their own configuration schemas accept', () => {
    const { api, worker } = compose.services;
    expect(loadApiConfig(api?.environment ?? {}).STORAGE_DRIVER).toBe('s3');
    expect(loadWorkerConfig(worker?.environment ?? {}).STORAGE_DRIVER).toBe('s3');
  });

  it('publish only the API port, and leave the worker free to scale', () => {
    const published = Object.entries(compose.services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name)).toEqual(['api']);
    const { worker } = compose.services;
    expect(worker?.container_name).toBeUndefined();
    expect(worker?.volumes ?? []).toEqual([]);
  });

  it('copy every workspace manifest into the image before npm install', () => {
    const dockerfile = read('Dockerfile');
    const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
    const manifests = workspaces.flatMap((pattern) => {
      const folder = pattern.replace(/\/\*$/, '');
      const names = readdirSync(path.join(ROOT, folder)).filter((name) => existsSync(path.join(ROOT, folder, name, 'package.json')));
      return names.map((name) => `${folder}/${name}/package.json`);
    });
    for (const manifest of manifests) expect(dockerfile).toContain(`COPY ${manifest} `);
  });
});
