// One error type with a machine-readable code, as in wallet_spec/errors.py.
export class CitykeyError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "CitykeyError";
    this.code = code;
  }
}

export const formatError = (message) => new CitykeyError("malformed", message);
export const tooLarge = (message) => new CitykeyError("too_large", message);
