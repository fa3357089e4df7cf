import { newWebhookSecret, signatureHeader, signPayload, verifySignature } from './webhook-signature';
import { isPrivateAddress, webhookUrlProblem } from './url-guard';

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'e1', seq: '7', type: 'ticket.pledged', data: { units: '100' } });
  const now = 1_800_000_000;

  it('signs HMAC-SHA256 over `<t>.<body>`, one v1 per secret; verifies under either during an overlap', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const header = signatureHeader([b, a], now, body);
    expect(header).toBe(`t=${now},v1=${signPayload(b, now, body)},v1=${signPayload(a, now, body)}`);
    expect(verifySignature(header, a, body, { nowSeconds: now })).toBe(true);
    expect(verifySignature(header, b, body, { nowSeconds: now })).toBe(true);
    expect(verifySignature(header, newWebhookSecret(), body, { nowSeconds: now })).toBe(false);
  });

  it('refuses another body, a stale timestamp and a malformed header', () => {
    const s = newWebhookSecret();
    const header = signatureHeader([s], now, body);
    expect(verifySignature(header, s, body.replace('100', '101'), { nowSeconds: now })).toBe(false);
    expect(verifySignature(header, s, body, { nowSeconds: now + 301 })).toBe(false);
    expect(verifySignature('v1=abc', s, body, { nowSeconds: now })).toBe(false);
    expect(verifySignature(`t=${now},v1=zz`, s, body, { nowSeconds: now })).toBe(false);
  });
});

describe('webhook URLs', () => {
  it('are https to public addresses unless private ones are allowed', () => {
    expect(webhookUrlProblem('https://bank.example.com/hook', false)).toBeNull();
    expect(webhookUrlProblem('http://bank.example.com/hook', false)).toMatch(/https/);
    expect(webhookUrlProblem('http://127.0.0.1:9/hook', true)).toBeNull();
    expect(webhookUrlProblem('https://user:pw@bank.example.com/', false)).toMatch(/credentials/);
    expect(webhookUrlProblem('https://[::1]/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('not a url', false)).toMatch(/absolute/);
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1'])
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    for (const ip of ['1.1.1.1', '203.0.113.9', '2606:4700:4700::1111']) expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });
});
