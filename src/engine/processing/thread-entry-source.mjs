// Starts the background thread from the TypeScript sources (development and tests): a worker thread
// does not inherit the TypeScript loader of the thread that started it.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./thread-entry.ts', import.meta.url).href);
