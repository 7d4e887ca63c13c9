/** Secrets, set per stage with `npx sst secret set <Name> <value> --stage <stage>`. */
export function createSecrets() {
  return {
    /** Bearer token of the admin routes (projects and keys), at least 16 characters. */
    adminToken: new sst.Secret('AdminToken'),
  };
}
