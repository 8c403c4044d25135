/**
 * `npm run bench:postfix`: the verify benchmark against the real Postfix of
 * the interop tier (start it first: sudo bash .ci/postfix.sh start), whose
 * stock error limits (soft 10, hard 20, 1 s sleep) are the real thing.
 */
import { benchServers } from './verify.js';

const [address = '127.0.0.1', port = '2525'] = (process.env.POSTFIX_ADDR ?? '127.0.0.1:2525').split(
  ':',
);
await benchServers([
  {
    label: 'real Postfix 3.7 (stock error limits)',
    name: 'mx.postfix.test',
    domain: 'postfix.test',
    address,
    port: Number(port),
    throttles: true,
  },
]);
