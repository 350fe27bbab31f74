import http from 'node:http';
import { parseFlags, intFlag } from '../args.js';
import { UsageError } from '../errors.js';
import type { CliContext } from '../context.js';

const USAGE = 'qnwis healthcheck [--port N] [--timeout-ms N]';

/** Container health check: GET http://127.0.0.1:$PORT/health/ready, exit 0 only on 200. */
export async function healthcheckCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    { port: { type: 'string' }, 'timeout-ms': { type: 'string' } },
    USAGE,
  );
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\nusage: ${USAGE}`);
  const port = intFlag(values.port, '--port', 1, 65535) ?? ctx.appConfig().port;
  const timeoutMs = intFlag(values['timeout-ms'], '--timeout-ms', 100, 60_000) ?? 2500;
  const status = await new Promise<number>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health/ready', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
  ctx.stdout(status === 200 ? 'ready\n' : `not ready (${status === 0 ? 'no answer' : status})\n`);
  return status === 200 ? 0 : 1;
}
