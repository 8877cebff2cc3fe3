import { categoriesProfile } from './categories';
import { companiesProfile } from './companies';
import type { Profile } from './profile';
import { subcategoriesProfile } from './subcategories';

export * from './profile';

/** Every import profile by name. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  categories: categoriesProfile,
  subcategories: subcategoriesProfile,
  companies: companiesProfile,
};

export const PROFILE_NAMES = Object.keys(PROFILES);

export function getProfile(name: string): Profile | undefined {
  return Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
}
