import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, Matches, ValidateNested } from 'class-validator';
import { compileValidator, validationPipe } from './compiled-validation';

class Inner {
  @IsInt()
  n!: number;
}

describe('compileValidator', () => {
  it('throws at compile time on a decorator it does not know', () => {
    class WithEmail {
      @IsEmail()
      email!: string;
    }
    expect(() => compileValidator(WithEmail)).toThrow(/WithEmail\.email uses @isEmail, which the compiler does not know/);
  });

  it('throws on an unknown decorator in a nested type, and on @ValidateNested without @Type', () => {
    class Deep {
      @IsEmail()
      email!: string;
    }
    class Outer {
      @ValidateNested()
      @Type(() => Deep)
      deep!: Deep;
    }
    class Untyped {
      @ValidateNested()
      inner!: Inner;
    }
    expect(() => compileValidator(Outer)).toThrow(/Deep\.email uses @isEmail/);
    expect(() => compileValidator(Untyped)).toThrow(/Untyped\.inner is @ValidateNested without a plain @Type/);
  });

  it('throws on validation groups and on DTOs with methods', () => {
    class Grouped {
      @Matches(/x/, { groups: ['admin'] })
      x!: string;
    }
    class WithMethod {
      @IsOptional()
      @IsInt()
      n?: number;
      double(): number {
        return (this.n ?? 0) * 2;
      }
    }
    expect(() => compileValidator(Grouped)).toThrow(/groups/);
    expect(() => compileValidator(WithMethod)).toThrow(/WithMethod has members \(double\)/);
  });

  it('the pipe compiles every DTO it is given at startup, so an unknown decorator stops the app', () => {
    class Bad {
      @IsEmail()
      email!: string;
    }
    expect(() => validationPipe().precompile([String, Inner, Bad])).toThrow(/Bad\.email/);
  });

  it('hands on the input as plain data, without the keys the pipe always dropped', () => {
    class Outer {
      @ValidateNested({ each: true })
      @Type(() => Inner)
      items!: Inner[];
    }
    const input = { items: [{ n: 1, toString: 2 }], prototype: 3 };
    const verdict = compileValidator(Outer)(input);
    expect(verdict).toEqual({ ok: true, value: { items: [{ n: 1 }] } });
    expect(verdict.ok && verdict.value).toBe(input);
    expect(Object.getPrototypeOf((verdict.ok && (verdict.value as Outer).items[0]) as object)).toBe(Object.prototype);
  });
});
