import { getProfile, PROFILE_NAMES, type Profile } from '@importer/imports';
import { HttpError } from './errors';

/**
 * The profile a request names, or `unknown_profile` listing the profiles (details `{profiles}`): a 400 for
 * a field of the body, a 404 for a segment of the path (`POST /sync/:profile`).
 */
export function knownProfile(name: string | undefined, status: 400 | 404 = 400): Profile {
  const profile = name ? getProfile(name) : undefined;
  if (profile) return profile;
  throw new HttpError(
    status,
    'unknown_profile',
    `${name ? `Unknown profile "${name}"` : 'The field "profile" is required'}; expected one of ${PROFILE_NAMES.join(', ')}.`,
    { profiles: PROFILE_NAMES },
  );
}
