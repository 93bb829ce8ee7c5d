/** The arguments that follow the `autosubmit` executable, and what to write to its stdin. */
export interface AutosubmitCommand {
  args: string[];
  stdin?: string;
}
