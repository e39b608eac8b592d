import type { Logger } from './logger.js';
import { WakeableSleep } from './wakeable-sleep.js';

const ERROR_PAUSE_MS = 1000;

/**
 * A loop that runs in the background of the process: `step()` does one unit of work and says how long
 * to wait before the next (0: yield to the event loop and go on). `wake()` cuts a wait short when new
 * work arrives; `stop()` lets the step under way finish. A step that throws is a bug: it is logged and
 * the loop goes on after a pause.
 */
export abstract class BackgroundLoop {
  private running = false;
  private stopped: Promise<void> = Promise.resolve();
  private readonly idle = new WakeableSleep();

  protected constructor(
    private readonly loopName: string,
    private readonly loopLogger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = this.run();
  }

  wake(): void {
    this.idle.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.stopped;
  }

  /** One unit of work; resolves with how long to wait before the next one. */
  protected abstract step(): Promise<number>;

  private async run(): Promise<void> {
    while (this.running) {
      let waitMs: number;
      try {
        waitMs = await this.step();
      } catch (error) {
        this.loopLogger.error({ err: error, loop: this.loopName }, 'background step failed; retrying');
        waitMs = ERROR_PAUSE_MS;
      }
      if (waitMs > 0) await this.idle.sleep(waitMs);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
