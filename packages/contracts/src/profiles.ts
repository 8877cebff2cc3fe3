import { z } from 'zod';
import { writeModeSchema } from './imports';

/** An import profile and its columns (docs/profiles.md). */
export const profileSchema = z
  .object({
    name: z.string(),
    columns: z.array(
      z.object({
        name: z.string().describe('The canonical column name'),
        required: z.boolean(),
        aliases: z.array(z.string()).describe('Other headers that name this column'),
      }),
    ),
  })
  .describe('An import profile');
export type ProfileInfo = z.infer<typeof profileSchema>;

/** `GET /profiles`. */
export const profilesSchema = z
  .object({ items: z.array(profileSchema), modes: z.array(writeModeSchema) })
  .describe('The import profiles and the write modes');
export type Profiles = z.infer<typeof profilesSchema>;
