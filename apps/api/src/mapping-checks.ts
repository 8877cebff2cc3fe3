import { uploadMappingFieldSchema, type ColumnMapping } from '@importer/contracts';
import { BadFileError, describeMappingProblems, getProfile, mapHeaders, mappingProblems, type Profile } from '@importer/imports';
import { badRequest } from './errors';
import { listIssues, parseOr } from './validation';

/**
 * A mapping checked against its profile (and the file's headers when known): `400 invalid_mapping` naming
 * unknown columns, columns mapped twice, headers listed twice and headers the file does not have
 * (docs/api.md, "Column mappings"). With the headers, the mapping must also leave the file importable:
 * its required columns matched (`missing_columns`) and no column named twice (`duplicate_header`).
 */
export function checkMapping(profile: Profile, mapping: ColumnMapping, headers?: readonly string[]): ColumnMapping {
  const problems = mappingProblems(profile, mapping, headers);
  if (problems) throw badRequest('invalid_mapping', describeMappingProblems(profile, problems), problems);
  if (headers) {
    try {
      mapHeaders(profile, headers, mapping);
    } catch (error) {
      if (error instanceof BadFileError) throw badRequest(error.code, error.message, error.details ?? null);
      throw error;
    }
  }
  return mapping;
}

/** Refuses the upload's `mapping` field (JSON text) unless it is valid for the profile (a known one); absent is fine. */
export function checkUploadMapping(profileName: string, field: unknown): void {
  const profile = getProfile(profileName);
  if (!profile || field === undefined || field === '') return;
  const mapping = parseOr(uploadMappingFieldSchema, field, (issues) =>
    badRequest(
      'invalid_mapping',
      `Invalid mapping: ${listIssues(issues.map((issue) => ({ ...issue, field: ['mapping', issue.field].filter(Boolean).join('.') })))}`,
      issues,
    ),
  );
  checkMapping(profile, mapping);
}
