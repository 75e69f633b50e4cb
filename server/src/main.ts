// Starts one Rinki node from the environment.
import { ConfigError, parseConfig } from './config.ts';
import { startRinki } from './rinki.ts';

try {
  const config = parseConfig();
  const rinki = await startRinki(config);
  const stop = async () => {
    await rinki.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
