#!/usr/bin/env python3
# The test harness around verify.py: the CLI contract of ../README.md.
import argparse
import json
import sys
from revocations import revoked_subs
from verify import Rejected, normalise, trusted_keys, verify

def main():
    cli = argparse.ArgumentParser(description='Verify a licensedesk license (format v1).')
    cli.add_argument('license')
    for name in ('--jwks', '--product', '--feature-code', '--revocations'):
        cli.add_argument(name, required=name != '--revocations')
    for name in ('--now', '--last-seen', '--clock-skew', '--revocations-max-age'):
        cli.add_argument(name, type=int, required=name == '--now')
    args = cli.parse_args()
    args.clock_skew = 300 if args.clock_skew is None else args.clock_skew
    if not normalise(args.feature_code) or not args.product or args.clock_skew < 0:
        cli.error('--product and --feature-code must not be empty, --clock-skew not negative')
    with open(args.jwks, encoding='utf-8') as file:
        keys = trusted_keys(json.load(file))
    try:
        revoked = None
        if args.revocations is not None:
            with open(args.revocations, encoding='utf-8') as file:
                revoked = revoked_subs(file.read(), keys, args.now, args.clock_skew,
                                       args.revocations_max_age)
        with open(args.license, encoding='utf-8', errors='replace') as file:
            claims = verify(file.read(), keys, args.product, args.feature_code, args.now,
                            args.last_seen, args.clock_skew, revoked)
    except Rejected as rejected:
        print(rejected, file=sys.stderr)
        sys.exit(1)
    print(json.dumps(claims, ensure_ascii=False, indent=2))

if __name__ == '__main__':
    try:
        main()
    except Exception as error:  # usage, files, the key set: not a verdict on the license
        print(f'error: {error!r}', file=sys.stderr)
        sys.exit(2)
