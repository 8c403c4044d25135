/** `npm run bench`: every benchmark, numbers on stdout. Traffic stays on loopback. */
import { benchStartup } from './startup.js';
import { benchCaps } from './caps.js';
import { benchWalk } from './walk.js';
import { benchVerify } from './verify.js';
import { benchVerifyDomains } from './verify-domains.js';
import { benchPolicy } from './policy.js';
import { benchSend } from './send.js';

benchStartup();
await benchCaps();
await benchWalk();
await benchVerify();
await benchVerifyDomains();
await benchPolicy();
await benchSend();
