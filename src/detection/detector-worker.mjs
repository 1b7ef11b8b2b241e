// Worker threads start without the parent's TypeScript loader: register tsx here, then load the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./detector-worker.ts');
