import fs from 'node:fs';
import path from 'node:path';
import { exec } from './proc.ts';

/** A CA of a run and one server certificate it signed, as files in `dir` (PEM). */
export interface TestCertificate {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface CertificateRequest {
  /** Where the files go (created if missing). */
  readonly dir: string;
  /** File name stem of the server certificate: `<name>.crt`, `<name>.key`. */
  readonly name: string;
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly days?: number;
  /** Appended to the openssl runs' log. */
  readonly logFile?: string;
}

/**
 * A P-256 CA (`ca.crt`, `ca.key` in `dir`, made once) and a server certificate it signs for the
 * names and addresses given — openssl from Debian, since node:crypto cannot sign X.509.
 */
export async function issueTestCertificate(request: CertificateRequest): Promise<TestCertificate> {
  const file = (name: string) => path.join(request.dir, name);
  const options = request.logFile === undefined ? {} : { logFile: request.logFile };
  const days = String(request.days ?? 365);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  fs.mkdirSync(request.dir, { recursive: true });
  if (!fs.existsSync(file('ca.crt'))) {
    await exec(
      'openssl',
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        file('ca.key'),
        '-out',
        file('ca.crt'),
        '-days',
        days,
        '-subj',
        '/CN=girok test CA',
      ],
      options,
    );
  }
  const csr = file(`${request.name}.csr`);
  await exec(
    'openssl',
    ['req', ...ec, '-keyout', file(`${request.name}.key`), '-out', csr, '-subj', `/CN=${request.commonName}`],
    options,
  );
  const names = [
    ...(request.ips ?? []).map((ip) => `IP:${ip}`),
    ...(request.dnsNames ?? []).map((n) => `DNS:${n}`),
  ];
  const ext = file(`${request.name}.ext`);
  fs.writeFileSync(ext, `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\n`);
  await exec(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      ext,
      '-out',
      file(`${request.name}.crt`),
    ],
    options,
  );
  return {
    caFile: file('ca.crt'),
    certFile: file(`${request.name}.crt`),
    keyFile: file(`${request.name}.key`),
  };
}
