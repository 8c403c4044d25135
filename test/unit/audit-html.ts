/**
 * renderAuditHtml, pure: a self-contained page (a CSP meta forbidding every fetch, the inline
 * style and script allowed by their hashes, no external reference), hostile server text escaped
 * everywhere, one table row and one <details> per site, the summary chart carrying the counts,
 * the evidence of each check, shared addresses under each site, and a 10,000-site page of
 * bounded size.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { renderAuditHtml } from '../../src/output/audit-html.js';
import { COUNT_BARS } from '../../src/output/audit-html-chart.js';
import { AuditAddressSchema, AuditSiteSchema, AuditSummarySchema } from '../../src/schema/audit.js';
import {
  ADDRESSES,
  fixtureReport,
  HOSTILE_MARKUP,
  manyRecords,
  SITES,
} from '../support/audit-fixtures.js';

const page = renderAuditHtml(fixtureReport());

/** between: the text between the first `open` and the next `close`. */
function between(text: string, open: string, close: string): string {
  const i = text.indexOf(open);
  assert.ok(i >= 0, `no ${open}`);
  const j = text.indexOf(close, i + open.length);
  assert.ok(j >= 0, `no ${close} after ${open}`);
  return text.slice(i + open.length, j);
}

/** rows: the sites table's body rows, one string each. */
function rows(html: string): string[] {
  return between(html, '<table id="sites">', '</table>')
    .split('\n')
    .filter((l) => l.startsWith('<tr data-w='));
}

/** cells: a row's cell texts (tags removed, entities left as they are). */
function cells(row: string): string[] {
  return row
    .split(/<td[^>]*>/)
    .slice(1)
    .map((c) => c.replace(/<[^>]+>/g, '').trim());
}

/** decode: an attribute value as the browser reads it (the entities escapeText writes). */
const decode = (text: string) =>
  text
    .replaceAll('&#39;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

describe('audit fixtures', () => {
  test('every record is schema-valid', () => {
    for (const a of ADDRESSES) AuditAddressSchema.parse(a);
    for (const s of SITES) AuditSiteSchema.parse(s);
    AuditSummarySchema.parse(fixtureReport().summary);
  });
});

describe('renderAuditHtml: self-contained', () => {
  test('a CSP meta comes first and forbids every fetch; style and script are allowed by hash', () => {
    const headText = between(page, '<head>', '</head>');
    const csp = decode(between(headText, 'http-equiv="Content-Security-Policy" content="', '"'));
    assert.ok(headText.indexOf('Content-Security-Policy') < headText.indexOf('<style>'));
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('base-uri'), "'none'");
    assert.equal(directives.get('form-action'), "'none'");
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|https?:|data:/);
    const style = between(page, '<style>', '</style>');
    const script = between(page, '<script>', '</script>');
    assert.equal(directives.get('style-src'), `'sha256-${sha256(style)}'`);
    assert.equal(directives.get('script-src'), `'sha256-${sha256(script)}'`);
  });

  test('one style, one script, no style= or on…= attributes (a hash does not cover them)', () => {
    assert.equal(page.split('<style').length - 1, 1);
    assert.equal(page.split('<script').length - 1, 1);
    assert.doesNotMatch(page, /<[a-z][^>]*\sstyle=/i);
    assert.doesNotMatch(page, /<[a-z][^>]*\son[a-z]+=/i);
  });

  test('no src at all, every href a fragment, no URL in CSS or SVG', () => {
    assert.doesNotMatch(page, /<[a-z][^>]*\ssrc\s*=/i);
    const hrefs = [...page.matchAll(/\shref\s*=\s*"([^"]*)"/gi)].map((m) => m[1]!);
    assert.ok(hrefs.length > SITES.length);
    for (const h of hrefs) assert.match(h, /^#[a-z0-9]+$/, h);
    assert.doesNotMatch(page, /<[a-z][^>]*(src|href|action|xmlns)\s*=\s*["']?\s*(https?:)?\/\//i);
    const style = between(page, '<style>', '</style>');
    assert.doesNotMatch(style, /url\(|@import|@font-face/);
    assert.doesNotMatch(page, /https?:\/\//);
  });
});

describe('renderAuditHtml: server text is escaped', () => {
  test('markup in a banner, a reply, a host name and a certificate subject stays text', () => {
    assert.ok(!page.includes(HOSTILE_MARKUP));
    assert.ok(!page.includes('<img'));
    assert.ok(!page.includes('<script>alert'));
    assert.ok(page.includes('&lt;script&gt;alert(&quot;banner&quot;)&lt;/script&gt;'));
    assert.ok(page.includes('CN=&quot;&gt;&lt;script&gt;alert(&quot;cert&quot;)'));
    assert.ok(page.includes('&lt;&lt;&lt; 252 2.0.0 &lt;script&gt;'));
  });

  test('only the tags this renderer writes appear', () => {
    const allowed = new Set(
      'html head meta title style body header h1 h2 h3 h4 p section div figure figcaption svg g text rect b span code pre table thead tbody tr th td a input select option details summary ul li script'.split(
        ' ',
      ),
    );
    const tags = new Set([...page.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!));
    for (const t of tags) assert.ok(allowed.has(t), `unexpected <${t}>`);
  });

  test('control bytes from the server are shown as \\xNN, never sent raw', () => {
    assert.doesNotMatch(page, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    assert.ok(page.includes('hostile.test ESMTP \\x1b[2J\\x0d&lt;script&gt;'));
  });
});

describe('renderAuditHtml: the summary', () => {
  test('the problem chart carries each summary count; the severity chart worst first', () => {
    const { summary } = fixtureReport();
    const svg = between(page, '<figure id="chart-problems">', '</figure>');
    for (const bar of COUNT_BARS) {
      const n = summary.counts[bar.key];
      const pct = Math.round((n / summary.addresses) * 100);
      assert.ok(svg.includes(`data-count="${bar.label}">${n} (${pct}%)</text>`), bar.label);
    }
    const sev = between(page, '<figure id="chart-severity">', '</figure>');
    const order = [...sev.matchAll(/data-count="(\w+)">(\d+)</g)].map((m) => `${m[1]} ${m[2]}`);
    const by = summary.bySeverity;
    assert.deepEqual(order, [
      `high ${by.high}`,
      `medium ${by.medium}`,
      `low ${by.low}`,
      `info ${by.info}`,
    ]);
    assert.deepEqual(summary.counts, {
      exposesVrfy: 2,
      exposesExpn: 1,
      openRelay: 1,
      noStarttls: 1,
      badCertificate: 2,
      unreachable: 1,
      stsSkipsMx: 0,
      stsBroken: 0,
      daneFails: 0,
    });
    assert.ok(!page.includes('chart-policy'), 'no policy chart when no policy check ran');
  });

  test('the worst findings are listed worst first, linked to their site', () => {
    const worst = between(page, '<table id="worst">', '</table>');
    const sevs = [...worst.matchAll(/<tr><td class="(\w+)">/g)].map((m) => m[1]);
    assert.equal(sevs[0], 'high');
    assert.equal(sevs.at(-1), 'info');
    assert.ok(worst.includes('<a href="#s1">open-relay.test</a>'));
  });
});

describe('renderAuditHtml: the sites table', () => {
  test('one row per site, worst first, the words of each check', () => {
    const rs = rows(page);
    assert.equal(rs.length, SITES.length);
    const byTarget = new Map(rs.map((r) => [cells(r)[0]!, cells(r)]));
    assert.deepEqual(byTarget.get('example.com')?.slice(1), [
      'ok',
      'mx1.example.com · 1 addr',
      'discloses',
      'not-implemented',
      'closed',
      'ok',
      'medium',
      '1',
    ]);
    assert.deepEqual(byTarget.get('shop2.test')?.slice(3, 8), [
      'disabled',
      '—',
      'closed',
      'expiring',
      'low',
    ]);
    assert.deepEqual(byTarget.get('open-relay.test')?.slice(3, 7), [
      'discloses',
      'discloses',
      'open',
      'none',
    ]);
    assert.equal(byTarget.get('hostile.test')?.[6], 'untrusted');
    assert.deepEqual(byTarget.get('nomail.test')?.slice(1, 3), ['no-mail', '—']);
    assert.deepEqual(
      rs.map((r) => /data-w="(\w*)"/.exec(r)![1]),
      ['high', 'high', 'medium', 'medium', 'medium', 'low', 'low', 'low', ''],
    );
  });

  test('the filter controls are hidden until the script shows them; sortable headers are typed', () => {
    assert.match(page, /<div id="controls" class="controls" hidden>/);
    assert.match(page, /<th data-type="sev">Worst<th data-type="num">Findings/);
  });
});

describe('renderAuditHtml: findings and evidence', () => {
  test('one <details> per site, each linked from its row', () => {
    const ids = [...page.matchAll(/<details id="(s\d+)">/g)].map((m) => m[1]);
    assert.equal(ids.length, SITES.length);
    for (const r of rows(page)) assert.ok(ids.includes(/href="#(s\d+)"/.exec(r)![1]));
  });

  test('the evidence: VRFY and EXPN exchanges, the relay trial that decided, certificate facts, recipients', () => {
    const example = between(page, 'example.com</b>', '</details>');
    assert.ok(example.includes('&gt;&gt;&gt; VRFY zz-nobody-7f3a\n&lt;&lt;&lt; 550 5.1.1'));
    assert.ok(example.includes('&gt;&gt;&gt; EXPN staff\n&lt;&lt;&lt; 502 5.5.2'));
    assert.match(example, /subject {4}CN=mx1\.example\.com/);
    assert.match(example, /valid to {3}2027-02-01T00:00:00\.000Z \(61 days left\)/);
    assert.match(example, /percent-hack: MAIL 250 2\.1\.0 Ok · RCPT 554 5\.7\.1/);
    const shared = between(page, '<section id="shared">', '</section>');
    assert.ok(shared.includes('decided by outside-to-outside'));
    assert.ok(
      shared.includes('&gt;&gt;&gt; RCPT TO:&lt;victim@outside.test&gt;\n&lt;&lt;&lt; 250 2.1.5'),
    );
    assert.ok(shared.includes('accepts a mailbox that cannot exist (open-relay.test)'));
    assert.ok(shared.includes('alice@open-relay.test, bob@open-relay.test'));
    const dead = between(page, 'dead.test</b>', '</details>');
    assert.ok(dead.includes('CONNECT_TIMEOUT at connect: connect timeout'));
  });

  test('an address shared by several sites is shown under each, its evidence once', () => {
    const shared = between(page, '<section id="shared">', '</section>');
    const hoster =
      /<details id="(a\d+)"><summary>198\.51\.100\.7:25 mx\.hoster\.test · ok · used by 3 sites/.exec(
        shared,
      );
    assert.ok(hoster, 'the hoster address has its own section');
    for (const shop of ['shop1.test', 'shop2.test', 'shop3.test']) {
      const d = between(page, `${shop}</b>`, '</details>');
      assert.ok(d.includes(`<a href="#${hoster[1]}">evidence</a> (address shared by 3 sites)`));
      assert.match(d, /TLS <b class="w">expiring<\/b>/);
    }
    assert.equal(page.split('&gt;&gt;&gt; VRFY postmaster\n&lt;&lt;&lt; 502').length - 1, 1);
  });

  test('an address key with no record says so instead of failing', () => {
    const r = fixtureReport();
    const html = renderAuditHtml({ ...r, addresses: () => undefined });
    assert.equal(rows(html).length, SITES.length);
    assert.ok(html.includes('192.0.2.10:25 · not in this report'));
  });
});

describe('renderAuditHtml: pure and bounded', () => {
  test('the same records give the same page, whether addresses come as a map or a lookup', () => {
    const r = fixtureReport();
    const map = r.addresses as Map<string, (typeof ADDRESSES)[number]>;
    assert.equal(renderAuditHtml(fixtureReport()), page);
    assert.equal(renderAuditHtml({ ...r, addresses: (k) => map.get(k) }), page);
    assert.ok(page.includes('<title>smtp-probe audit report</title>'));
    assert.ok(renderAuditHtml({ ...r, title: 'Q4 <audit>' }).includes('<h1>Q4 &lt;audit&gt;</h1>'));
  });

  test('10,000 sites: rows stay lean and the page under 2 KB a site', () => {
    const big = renderAuditHtml(manyRecords(10_000));
    const rs = rows(big);
    assert.equal(rs.length, 10_000);
    const rowBytes = rs.reduce((n, r) => n + Buffer.byteLength(r), 0);
    assert.ok(rowBytes / rs.length < 300, `${rowBytes / rs.length} bytes a row`);
    const bytes = Buffer.byteLength(big);
    assert.ok(bytes / 10_000 < 2048, `${bytes} bytes for 10,000 sites`);
    assert.equal(big.split('<details id="s').length - 1, 10_000);
  });
});
