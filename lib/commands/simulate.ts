/** Placeholder until its issue lands. */
export function main(_args: string[]): Promise<number> {
  console.error("pos-producer: this command is not implemented yet");
  return Promise.resolve(1);
}
