/** A sleep that `wake()` cuts short: background loops wait for work without polling hard. */
export class WakeableSleep {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Ends the current sleep now (no effect when nobody sleeps). */
  wake(): void {
    this.wakeUp?.();
  }
}
