const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line spinner on stderr while something is awaited; does nothing when disabled (piped output).
 * Ctrl-C while it turns clears the line first, then ends the CLI as the interrupt would (exit 130),
 * unless a command listens for Ctrl-C itself (a followed run says it goes on).
 */
export class Spinner {
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private text = '';
  private readonly interrupted = () => {
    this.stop();
    if (process.listenerCount('SIGINT') === 0) process.kill(process.pid, 'SIGINT');
  };

  constructor(
    private readonly enabled: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  start(text: string): this {
    this.text = text;
    if (!this.enabled || this.timer) return this;
    // Listening before the first frame shows: a Ctrl-C that follows it finds the handler.
    process.once('SIGINT', this.interrupted);
    this.timer = setInterval(() => this.draw(), 80);
    this.draw();
    return this;
  }

  private draw(): void {
    this.out.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.text}`);
  }

  /** Writes a line to its stream, above the spinner if it turns. */
  note(line: string): void {
    if (this.timer) this.out.write('\r\x1b[2K');
    this.out.write(line + '\n');
    if (this.timer) this.draw();
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
