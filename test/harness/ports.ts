// Free ports on 127.0.0.1: listen on port 0, read the port the kernel chose, close. Another
// process can take the port before our server binds it, so callers retry on EADDRINUSE.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** True when a server's log or error says its port was taken. */
export const isAddressInUse = (text: string): boolean => /address already in use|EADDRINUSE/i.test(text);
