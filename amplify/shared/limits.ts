/**
 * Input limits shared by the schema, the resolvers and the function cores,
 * so that the API and the Lambda code reject the same inputs.
 */
export const LIMITS = {
  headlineMax: 200,
  noteTextMax: 10_000,
  storageKeyMax: 1024,
  displayNameMax: 80,
  deviceTokenMax: 512,
  messageBodyMax: 2_000,
  searchQueryMax: 256,
  searchLimitDefault: 20,
  searchLimitMax: 50,
} as const;
