/** The draining flag of one worker (service spec §9.3): set once, never cleared. */
export class DrainState {
  private draining = false;
  private readonly listeners: (() => void)[] = [];

  get isDraining(): boolean {
    return this.draining;
  }

  start(): void {
    if (this.draining) return;
    this.draining = true;
    for (const fn of this.listeners.splice(0)) fn();
  }

  onStart(fn: () => void): void {
    if (this.draining) fn();
    else this.listeners.push(fn);
  }
}
