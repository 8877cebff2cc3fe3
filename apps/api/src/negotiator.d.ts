// negotiator 1.x (the content negotiation of Express and of the `compression` middleware) ships no types: the part
// `middleware/compress-answers.ts` uses.
declare module 'negotiator' {
  import type { IncomingMessage } from 'node:http';

  export default class Negotiator {
    constructor(request: Pick<IncomingMessage, 'headers'>);
    /** The client's most preferred of `available`; on a tie, the first of `options.preferred`. */
    encoding(available: string[], options?: { preferred?: string[] }): string | undefined;
  }
}
