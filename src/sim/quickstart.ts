import { type ReachSimConfig } from './reach';
import { type SmsbatSimConfig } from './smsbat';

/**
 * What `npm run sim` prints: the credentials the simulator accepts and a ready-to-paste curl for
 * one SMSBAT send and one Reach create. The seeds' own curl examples carry placeholders
 * (`your-api-key`, `$REACH_TALKYLABS_API_USER`) that the simulator refuses with 401, and
 * `+380XXXXXXXXX`, which is no E.164 number.
 */

export interface QuickstartTarget {
  url: string;
  smtpUrl?: string;
  smsbat: Pick<SmsbatSimConfig, 'apiKey' | 'username' | 'password' | 'viberToken' | 'tgBotKey'>;
  reach: Pick<ReachSimConfig, 'apiUser' | 'apiKey'>;
}

/** One example request, as data (the tests send it) and as curl (the banner prints it). */
export interface ExampleRequest {
  url: string;
  headers: [string, string][];
  /** A JSON body sent with `-d`. */
  json?: string;
  /** Form fields sent with `--data-urlencode`, as the Reach seed does. */
  form?: [string, string][];
}

export function exampleRequests(t: QuickstartTarget): { smsbatSend: ExampleRequest; reachCreate: ExampleRequest } {
  const smsbatMessage = {
    id: 'tx-001',
    fromName: 'YourBank',
    toPhone: '+380501234567',
    messageType: 'transaction',
    text: 'Payment of $100 was successful. Transaction ID: ABC123',
  };
  return {
    smsbatSend: {
      url: `${t.url}/api/CascadeMessage/send_message/async`,
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Authorization-Key', t.smsbat.apiKey],
      ],
      json: JSON.stringify([smsbatMessage]),
    },
    reachCreate: {
      url: `${t.url}/rest/messaging/v1/create`,
      headers: [
        ['ApiUser', t.reach.apiUser],
        ['ApiKey', t.reach.apiKey],
      ],
      form: [
        ['dest', '+237671234567'],
        ['src', '+237691234567'],
        ['body', 'Hello World! This is a sms message.'],
      ],
    },
  };
}

/** The request as one curl command line for a POSIX shell. */
export function toCurl(r: ExampleRequest): string {
  const args = ['curl', '-X', 'POST', shellQuote(r.url)];
  for (const [name, value] of r.headers) args.push('-H', shellQuote(`${name}: ${value}`));
  if (r.json !== undefined) args.push('-d', shellQuote(r.json));
  for (const [name, value] of r.form ?? []) args.push('--data-urlencode', shellQuote(`${name}=${value}`));
  return args.join(' ');
}

export function quickstart(t: QuickstartTarget): string {
  const { smsbatSend, reachCreate } = exampleRequests(t);
  const s = t.smsbat;
  return [
    `provider simulator: ${t.url} (SMSBAT and Reach)${t.smtpUrl ? `, SMTP ${t.smtpUrl}` : ''}, control ${t.url}/_sim/health`,
    '',
    'Credentials it accepts (the seeds\' "your-api-key" and $REACH_TALKYLABS_API_* get 401):',
    `  SMSBAT send     X-Authorization-Key: ${s.apiKey}  or  X-Viber-Auth-Token: ${s.viberToken}  or  X-Tg-Bot-Key: ${s.tgBotKey}`,
    `  SMSBAT status   X-Authorization-Key: ${s.apiKey}  or  -u ${shellQuote(`${s.username}:${s.password}`)}  or  -u ${shellQuote(`@:${s.apiKey}`)}`,
    `  Reach           ApiUser: ${t.reach.apiUser}  ApiKey: ${t.reach.apiKey}`,
    '',
    'Try it (a real E.164 number: +380XXXXXXXXX is a placeholder; endings …999 …998 …997 …400 have built-in outcomes):',
    `  ${toCurl(smsbatSend)}`,
    `  curl ${shellQuote(`${t.url}/bat/message/<messageId>`)} -H ${shellQuote(`X-Authorization-Key: ${s.apiKey}`)}`,
    `  ${toCurl(reachCreate)}`,
    `  curl ${shellQuote(`${t.url}/rest/messaging/v1/fetch?messageId=<messageId>`)} -H ${shellQuote(`ApiUser: ${t.reach.apiUser}`)} -H ${shellQuote(`ApiKey: ${t.reach.apiKey}`)}`,
  ].join('\n');
}

/** `'…'`, with each `'` inside written as `'\''`. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
