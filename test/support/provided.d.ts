// Values the integration global set-up hands to tests through inject() / project.provide().
// The import makes TypeScript load vitest's entry so the augmentation below reaches the
// ProvidedContext that vitest/node's TestProject uses, even in files that never import 'vitest'.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    dockerHost: string; // unix:///tmp/rmd-XXXX/docker.sock
    redisPort: number;
    /** A real Prometheus with no targets: verification queries of shipped remediations find nothing firing. */
    prometheusUrl: string;
  }
}
