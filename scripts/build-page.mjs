// `npm ci` (prepare): builds the admin page into dist/web, so `npm ci && npm start` serves /admin.
// Skipped where the page's sources or vite are absent (the Docker image's dependency layer, an
// install without dev dependencies); `npm run build` builds it there.
import { existsSync } from 'node:fs';

if (!existsSync('web/index.html')) {
  console.log('admin page: web/ is not here yet; `npm run build` builds it');
} else {
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.log('admin page: vite is not installed (no dev dependencies); `npm run build` needs it');
  }
  if (vite) await vite.build({ root: 'web', configFile: 'web/vite.config.ts', logLevel: 'warn' });
}
