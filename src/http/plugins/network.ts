import net from 'node:net';
import { LRUCache } from 'lru-cache';

/** An allowlist of CIDR blocks (IPv4 and IPv6); IPv4-mapped IPv6 addresses are checked as IPv4. */
export class CidrList {
  private readonly list = new net.BlockList();
  readonly empty: boolean;
  /** Answers per address: a worker sees few distinct peers, and BlockList.check allocates on every call. */
  private readonly answers = new LRUCache<string, boolean>({ max: 10_000 });

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [addr, prefixText] = cidr.split('/');
      const family = net.isIPv6(addr ?? '') ? 'ipv6' : 'ipv4';
      const prefix = prefixText === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefixText);
      this.list.addSubnet(addr!, prefix, family);
    }
    this.empty = cidrs.length === 0;
  }

  has(address: string | undefined): boolean {
    if (!address) return false;
    const known = this.answers.get(address);
    if (known !== undefined) return known;
    const answer = this.check(address);
    this.answers.set(address, answer);
    return answer;
  }

  private check(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return this.list.check(mapped[1]!, 'ipv4');
    if (net.isIPv4(address)) return this.list.check(address, 'ipv4');
    if (net.isIPv6(address)) return this.list.check(address, 'ipv6');
    return false;
  }
}

export const LOOPBACK = new CidrList(['127.0.0.0/8', '::1/128']);
