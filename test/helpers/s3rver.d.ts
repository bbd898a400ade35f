// s3rver ships no types; only what the tests call.
declare module "s3rver" {
  export default class S3rver {
    constructor(opts: { port?: number; address?: string; silent?: boolean; directory?: string; configureBuckets?: { name: string }[] });
    run(): Promise<unknown>;
    close(): Promise<unknown>;
  }
}
