// The part of autocannon's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  }
  interface Result {
    requests: Histogram & { total: number };
    latency: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Requests sent in turn; `setupRequest` may rewrite each one (its path, say) before it goes. */
    requests?: { method?: string; path?: string; setupRequest?: (request: object) => object }[];
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
