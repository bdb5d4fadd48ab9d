// The one-time request proof between worker and egress proxy (docs/architecture.md, "The proof").
export { createProof, MAX_LIFETIME_SECONDS, PROOF_TYP, type CreateProofOptions } from './create.ts'
export { verifyProof, type ProofClaims, type VerifyProofOptions } from './verify.ts'
export { PROOF_ERROR_CODES, ProofError, type ProofErrorCode } from './errors.ts'
export { MemoryReplayStore, type ReplayStore, type MemoryReplayStoreOptions } from './replay.ts'
export { bodyHash } from './body-hash.ts'
export {
  generateEd25519Jwk,
  importPublicKeys,
  importSigningKey,
  type Ed25519KeyPair,
  type PublicKeySet,
  type SigningKey,
} from './keys.ts'

export const PROXY_AUDIENCE = 'licensedesk-egress-proxy'
export const WORKER_AUDIENCE = 'licensedesk-worker'
export const PROOF_HEADER = 'proof'
export const REQUEST_ID_HEADER = 'x-request-id'
