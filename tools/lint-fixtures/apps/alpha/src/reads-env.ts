// Breaks the process.env rule: runtime code reading the environment outside the config schema.
export const port = process.env.PORT;
