/**
 * Virtual hosts by name: exact names and "*.example.com" wildcards (one leftmost label, as
 * X.509 wildcards match), case-insensitive. An exact name wins over a wildcard.
 */
export class ServerNameTable<T> {
  private readonly byName = new Map<string, T>();

  set(hostname: string, value: T): void {
    this.byName.set(hostname.toLowerCase(), value);
  }

  get size(): number {
    return this.byName.size;
  }

  lookup(servername: string): T | undefined {
    const name = servername.toLowerCase();
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.byName.get(`*${name.slice(dot)}`) : undefined;
  }
}
