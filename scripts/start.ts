/**
 * `npm start` will run the whole backend locally (auth, GraphQL with
 * subscriptions and sync, storage, functions, search and push), offline.
 * That is the next piece of work; until it lands, this says so and exits 0.
 */
console.log('The local backend is not built yet: `npm start` will run it once it lands.');
console.log('Today you can synthesize the cloud backend offline with `npm run synth`,');
console.log('or deploy it with `npx ampx sandbox` (see README.md).');
