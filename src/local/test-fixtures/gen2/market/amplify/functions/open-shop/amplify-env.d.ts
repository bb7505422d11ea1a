// At synthesis Amplify writes `.amplify/generated/env/open-shop.ts` and the fixture's tsconfig maps
// `$amplify/*` to it; the repository's own type check has neither, so it sees this declaration.
declare module '$amplify/env/open-shop' {
  export const env: {
    AMPLIFY_DATA_DEFAULT_NAME: string;
    AWS_REGION: string;
    AWS_ACCESS_KEY_ID: string;
    AWS_SECRET_ACCESS_KEY: string;
    AWS_SESSION_TOKEN: string;
  } & Record<string, string>;
}
