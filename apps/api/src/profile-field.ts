import { getProfile, PROFILE_NAMES, type Profile } from '@importer/imports';
import { badRequest } from './errors';

/** The profile a request names, or a 400 `unknown_profile` listing the profiles (details `{profiles}`). */
export function knownProfile(name: string | undefined): Profile {
  const profile = name ? getProfile(name) : undefined;
  if (profile) return profile;
  throw badRequest(
    'unknown_profile',
    `${name ? `Unknown profile "${name}"` : 'The field "profile" is required'}; expected one of ${PROFILE_NAMES.join(', ')}.`,
    { profiles: PROFILE_NAMES },
  );
}
