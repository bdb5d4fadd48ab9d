# Optional: verifies a revocation list (docs/license-format.md, "Revocation list") and returns
# the revoked license ids, to pass to verify(..., revoked=...).
from verify import COMPACT_JWS, Rejected, is_int, is_version_1, signed_claims

def revoked_subs(text, keys, now, skew, max_age):  # the verified list, or BAD/STALE_REVOCATION_LIST
    jws = text.strip('\t\n\v\f\r ')
    if len(text) > 1_048_576 or not COMPACT_JWS.fullmatch(jws):
        raise Rejected('BAD_REVOCATION_LIST', 'not a compact JWS of ≤ 1 MiB')
    claims = signed_claims(jws, 'license-revocations+jwt', keys, ['BAD_REVOCATION_LIST'] * 3)
    claims = claims if isinstance(claims, dict) else {}
    entries = claims.get('revoked')
    if not is_version_1(claims) or not isinstance(claims.get('iss'), str) \
            or not is_int(claims.get('iat'), 0) or not isinstance(entries, list) \
            or not all(isinstance(e, dict) and isinstance(e.get('sub'), str)
                       and is_int(e.get('rat'), 0) for e in entries):
        raise Rejected('BAD_REVOCATION_LIST', 'the list claims are not {v: 1, iss, iat, revoked}')
    subs = {entry['sub'] for entry in entries}
    if len(subs) != len(entries):
        raise Rejected('BAD_REVOCATION_LIST', 'the revocation list names a license twice')
    if claims['iat'] > now + skew:
        raise Rejected('BAD_REVOCATION_LIST', 'the revocation list is issued in the future')
    if max_age is not None and now > claims['iat'] + max_age + skew:
        raise Rejected('STALE_REVOCATION_LIST', f'the revocation list is older than {max_age} s')
    return subs
