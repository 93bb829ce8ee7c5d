const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line spinner on stderr while something is awaited; does nothing when disabled (piped output).
 * Ctrl-C while it turns clears the line first, then ends the CLI as the interrupt would (exit 130).
 */
export class Spinner {
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private readonly interrupted = () => {
    this.stop();
    process.kill(process.pid, 'SIGINT');
  };

  constructor(
    private readonly enabled: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  start(text: string): this {
    if (!this.enabled || this.timer) return this;
    const draw = () => this.out.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${text}`);
    draw();
    this.timer = setInterval(draw, 80);
    process.once('SIGINT', this.interrupted);
    return this;
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    process.off('SIGINT', this.interrupted);
    this.out.write('\r\x1b[2K');
  }

  /** Runs `work` with the spinner turning. */
  async while<T>(text: string, work: Promise<T>): Promise<T> {
    this.start(text);
    try {
      return await work;
    } finally {
      this.stop();
    }
  }
}
