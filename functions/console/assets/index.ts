import { createHash } from 'node:crypto';
import { clientScript } from './client';
import { styles } from './styles';

export interface Asset {
  /** /console/assets/<name>.<hash>.<ext>: the hash changes with the content, so it caches forever. */
  path: string;
  body: string;
  type: string;
  etag: string;
}

const asset = (name: string, ext: string, type: string, body: string): Asset => {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/console/assets/${name}.${hash}.${ext}`, body, type, etag: `"${hash}"` };
};

export const ASSETS = {
  styles: asset('console', 'css', 'text/css; charset=utf-8', styles),
  script: asset('console', 'js', 'text/javascript; charset=utf-8', clientScript),
};

export const assetByPath = new Map(Object.values(ASSETS).map((a) => [a.path, a]));
