// Types for cluster-key-slot (ioredis' own CRC16 of Redis Cluster's hash slots; ships no types).
declare module 'cluster-key-slot' {
  /** The hash slot (0-16383) of a key: CRC16 of its hash tag, or of the whole key without one. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of all keys, or -1 when they span slots. */
    function generateMulti(keys: Array<string | Buffer>): number;
  }
  export default calculateSlot;
}
