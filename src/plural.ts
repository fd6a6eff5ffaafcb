/**
 * Counted words in the text people read (logs, Slack, history, the CLI): `1 container`,
 * `3 containers`. One helper, so no message says "1 containers".
 */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
