/**
 * Which host names a certificate is valid for (RFC 6125 §6.4): its DNS subjectAltNames, or its
 * CN when it has none; a wildcard stands for exactly one whole left-most label. Pure, so an
 * audit can check one certificate against every MX name that leads to a shared address.
 */

/** dnsNames: the DNS names in a subjectAltName list ("DNS:a.example, IP Address:…"), else the CN. */
export function dnsNames(subjectAltNames: readonly string[], subject: string): string[] {
  const sans = subjectAltNames
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (sans.length > 0 || subjectAltNames.length > 0) return sans;
  const cn = /(?:^|[,/\n]\s*)CN=([^,/\n]+)/.exec(subject)?.[1];
  return cn ? [cn.trim().toLowerCase()] : [];
}

/** covers: whether `names` (from dnsNames) include `host`. */
export function covers(names: readonly string[], host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return names.some((n) => {
    if (n === h) return true;
    if (!n.startsWith('*.')) return false;
    const dot = h.indexOf('.');
    return dot > 0 && h.slice(dot + 1) === n.slice(2);
  });
}
