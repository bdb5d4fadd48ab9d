# Verifies a licensedesk license offline (docs/license-format.md, "Verifying"), in its order of
# checks. Needs only `cryptography` (Debian: python3-cryptography). Copy this file; add
# revocations.py to check a revocation list. cli.py is the test harness (../README.md).
import base64
import hashlib
import json
import re
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

COMPACT_JWS = re.compile(r'[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+')
WHITESPACE = re.compile(r'[\t\n\v\f\r ]')
BEGIN, END = '-----BEGIN LICENSE-----', '-----END LICENSE-----'
ASCII_UPPER = str.maketrans('abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')

class Rejected(Exception):
    def __init__(self, code, message):
        super().__init__(f'{code}: {message}')
        self.code = code

def b64url(segment):
    return base64.urlsafe_b64decode(segment + '=' * (-len(segment) % 4))

def b64encode(data):
    return base64.urlsafe_b64encode(data).decode().rstrip('=')

def segment_json(segment):
    try:
        return json.loads(b64url(segment).decode('utf-8'))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None

def is_int(value, low):  # a JSON integer (1 or 1.0, not true) no larger than 2^53 - 1
    integral = type(value) is int or type(value) is float and value.is_integer()
    return integral and low <= value <= 2**53 - 1

def trusted_keys(jwks):  # kid → key; a kid is the RFC 7638 thumbprint of the public JWK
    keys = {}
    for jwk in jwks['keys']:
        if jwk.get('kty') != 'OKP' or jwk.get('crv') != 'Ed25519':
            continue
        members = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % jwk['x']
        kid = b64encode(hashlib.sha256(members.encode()).digest())
        if jwk.get('kid', kid) != kid:
            raise ValueError(f'the JWK {jwk["kid"]} is not named by its thumbprint {kid}')
        keys[kid] = Ed25519PublicKey.from_public_bytes(b64url(jwk['x']))
    return keys

def signed_claims(jws, typ, keys, codes):  # steps 1-3; codes for a bad header, key, signature
    header_segment, claims_segment, signature = jws.split('.')
    header = segment_json(header_segment)
    if not isinstance(header, dict) or header.get('alg') != 'EdDSA' or header.get('typ') != typ \
            or not isinstance(header.get('kid'), str) or not header['kid'] or 'crit' in header:
        raise Rejected(codes[0], f'the header must be {{alg: EdDSA, typ: {typ}, kid}}, no crit')
    key = keys.get(header['kid'])
    if key is None:
        raise Rejected(codes[1], f'signed by an unknown key ({header["kid"]})')
    try:  # only the canonical spelling of a 64-byte signature: 86 characters that re-encode alike
        raw = b64url(signature)
        if len(signature) != 86 or b64encode(raw) != signature:
            raise InvalidSignature()
        key.verify(raw, f'{header_segment}.{claims_segment}'.encode('ascii'))
    except (InvalidSignature, ValueError):
        raise Rejected(codes[2], 'the signature does not verify: altered')
    return segment_json(claims_segment)

def is_version_1(claims):  # the number 1, not true
    return claims.get('v') == 1 and type(claims['v']) is not bool

def normalise(code):  # ASCII whitespace and '-' dropped, ASCII letters upper-cased; nothing else
    return re.sub(r'[\t\n\v\f\r -]', '', code).translate(ASCII_UPPER)

def verify(text, keys, product, feature_code, now, last_seen=None, skew=300, revoked=None):
    begin = text.find(BEGIN)
    end = text.find(END, begin + len(BEGIN)) if begin >= 0 else -1
    jws = WHITESPACE.sub('', text[begin + len(BEGIN):end]) if end >= 0 else ''
    if len(jws) > 16_384 or not COMPACT_JWS.fullmatch(jws):
        raise Rejected('BAD_ARMOR', 'no armored compact JWS in the text')
    claims = signed_claims(jws, 'license+jwt', keys, ['BAD_ARMOR', 'UNKNOWN_KEY', 'BAD_SIGNATURE'])
    if not isinstance(claims, dict):
        raise Rejected('BAD_ARMOR', 'the claims are not a JSON object')
    if not is_version_1(claims):
        raise Rejected('UNSUPPORTED_VERSION', f'format version {claims.get("v")} is not 1')
    cust = claims.get('cust')
    if not all(isinstance(claims.get(name), str) for name in ('iss', 'sub', 'aud', 'fc', 'app')) \
            or not all(is_int(claims.get(name), -2**53 + 1) for name in ('iat', 'nbf', 'exp')) \
            or not is_int(claims.get('qty'), 1) or not isinstance(cust, dict) \
            or not all(isinstance(cust.get(name), str) for name in ('name', 'company', 'email')):
        raise Rejected('BAD_ARMOR', 'the claims do not match format v1')
    if revoked is not None and claims['sub'] in revoked:
        raise Rejected('REVOKED', f'the license {claims["sub"]} is revoked')
    if claims['aud'] != product:
        raise Rejected('WRONG_PRODUCT', f'the license is for product {claims["aud"]}')
    if normalise(claims['fc']) != normalise(feature_code):
        raise Rejected('WRONG_FEATURE_CODE', f'the license is for another machine ({claims["fc"]})')
    if now < max(claims['iat'], claims['iat'] if last_seen is None else last_seen) - skew:
        raise Rejected('CLOCK_ROLLBACK', 'the clock reads before the issue or last-seen time')
    if now < claims['nbf'] - skew:
        raise Rejected('NOT_YET_VALID', f'the license is valid from {claims["nbf"]}')
    if now >= claims['exp'] + skew:
        raise Rejected('EXPIRED', f'the license expired at {claims["exp"]}')
    return claims
