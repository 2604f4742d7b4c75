import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { ConfigError } from '../../shared/errors';

/** The certificate (PEM, the server's first, then its chain) and private key (unencrypted PEM) files. */
export interface ManagerTlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Reads and checks the manager port's certificate and key, at start: a file that is not PEM, or a key
 * that is not the certificate's, ends the start-up with one line naming the variable and the file
 * (rather than every client failing its handshake later).
 */
export function managerSecureContext(files: ManagerTlsFiles): tls.SecureContext {
  const cert = readPem('MANAGER_TLS_CERT_FILE', files.certFile);
  const key = readPem('MANAGER_TLS_KEY_FILE', files.keyFile);
  const certificate = parse(
    'MANAGER_TLS_CERT_FILE',
    files.certFile,
    'a PEM certificate',
    () => new X509Certificate(cert),
  );
  const privateKey = parse('MANAGER_TLS_KEY_FILE', files.keyFile, 'an unencrypted PEM private key', () =>
    createPrivateKey(key),
  );
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ConfigError(
      `MANAGER_TLS_KEY_FILE (${path.resolve(files.keyFile)}) is not the private key of the certificate in MANAGER_TLS_CERT_FILE (${path.resolve(files.certFile)}): give the key the certificate was issued for`,
    );
  }
  return parse('MANAGER_TLS_CERT_FILE', files.certFile, 'a certificate chain OpenSSL accepts', () =>
    tls.createSecureContext({ cert, key }),
  );
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(
      `${variable}: cannot read ${path.resolve(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function parse<T>(variable: string, file: string, expected: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    throw new ConfigError(`${variable}: ${path.resolve(file)} is not ${expected} (${reason})`);
  }
}
