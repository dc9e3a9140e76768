import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Container, inject, injectable } from 'inversify';
import { RxKafkaError } from '../../lib/errors';
import {
  assertController,
  Controller,
  isController,
  listControllers,
  registerControllers,
} from '../../lib/handlers/controller';

@injectable()
class HeroRepo {
  readonly heroes = ['Ada'];
}

@Controller()
class HeroesController {
  constructor(@inject(HeroRepo) readonly repo: HeroRepo) {}
}

@Controller()
class DragonsController {}

class PlainClass {}

describe('Controller()', () => {
  it('loads inversify 8, an ESM-only package, through require()', () => {
    const manifestPath = join(dirname(require.resolve('inversify')), '..', 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { type?: string; version: string };
    expect(manifest).to.include({ type: 'module' });
    expect(manifest.version).to.match(/^8\./);
    // This spec compiles to CommonJS, so the import of Container above is a require() of that ES module.
    expect(new Container().isBound(HeroesController)).to.equal(false);
  });

  it('makes the class injectable, so the container injects its constructor parameters', () => {
    const container = new Container();
    container.bind(HeroRepo).toSelf();
    container.bind(HeroesController).toSelf();
    expect(container.get(HeroesController).repo.heroes).to.deep.equal(['Ada']);
  });

  it('records the class as a controller, in decoration order', () => {
    expect(isController(HeroesController)).to.equal(true);
    const controllers = listControllers();
    expect(controllers.indexOf(HeroesController)).to.be.lessThan(controllers.indexOf(DragonsController));
  });

  it('does not make an undecorated subclass a controller', () => {
    class EliteHeroesController extends HeroesController {}
    expect(isController(EliteHeroesController)).to.equal(false);
    expect(isController(PlainClass)).to.equal(false);
    expect(isController('HeroesController')).to.equal(false);
  });

  it('rejects a class that already has @injectable(), with the inversify error as cause', () => {
    function define() {
      @Controller()
      @injectable()
      class VillainsController {}
      return VillainsController;
    }
    expect(define)
      .to.throw(
        RxKafkaError,
        /@Controller\(\) could not make VillainsController injectable.*remove a separate @injectable\(\)/,
      )
      .with.property('cause')
      .that.is.instanceOf(Error);
  });
});

describe('registerControllers()', () => {
  it('binds each controller to itself as a singleton', () => {
    const container = new Container();
    container.bind(HeroRepo).toSelf();
    registerControllers(container, [HeroesController, DragonsController]);
    expect(container.get(HeroesController)).to.equal(container.get(HeroesController));
    expect(container.get(DragonsController)).to.be.instanceOf(DragonsController);
  });

  it('is idempotent', () => {
    const container = new Container();
    registerControllers(container, [DragonsController]);
    const first = container.get(DragonsController);
    registerControllers(container, [DragonsController]);
    expect(container.get(DragonsController)).to.equal(first);
  });

  it('keeps a binding the user made', () => {
    const container = new Container();
    const own = new DragonsController();
    container.bind(DragonsController).toConstantValue(own);
    registerControllers(container, [DragonsController]);
    expect(container.get(DragonsController)).to.equal(own);
  });

  it('rejects a class without @Controller()', () => {
    expect(() => registerControllers(new Container(), [PlainClass]))
      .to.throw(RxKafkaError, /PlainClass is not a controller: decorate the class with @Controller\(\)/)
      .with.property('code', 'RXK_INVALID_OPTIONS');
  });
});

describe('assertController()', () => {
  it('accepts a controller and names anything else in its error', () => {
    expect(() => assertController(HeroesController)).to.not.throw();
    expect(() => assertController(42)).to.throw(RxKafkaError, /^42 is not a controller/);
  });
});
